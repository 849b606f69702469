"""Every field Meta documents on each node type the simulator serves (Graph API v25.0 reference), so a field it
does not model is omitted from the answer rather than refused; only a name outside these lists is "nonexisting"."""

from __future__ import annotations

DOCUMENTED_FIELDS: dict[str, frozenset[str]] = {
    "Campaign": frozenset(
        (
            "account_id adbatch adlabels advantage_state_info bid_constraints bid_strategy boosted_object_id "
            "brand_lift_studies budget_rebalance_flag budget_remaining budget_schedule_specs buying_type "
            "campaign_group_active_time can_create_brand_lift_study can_use_spend_cap configured_status created_time "
            "daily_budget effective_status execution_options frequency_control_specs "
            "has_secondary_skadnetwork_reporting id is_adset_budget_sharing_enabled is_budget_schedule_enabled "
            "is_direct_send_campaign is_message_campaign is_meta_moment_maker_enabled is_pca_unified "
            "is_reels_trending_ads_enabled is_skadnetwork_attribution issues_info iterative_split_test_configs "
            "last_budget_toggling_time lifetime_budget name objective pacing_type primary_attribution promoted_object "
            "recommendations smart_promotion_type source_campaign source_campaign_id source_recommendation_type "
            "special_ad_categories special_ad_category special_ad_category_country spend_cap start_time status "
            "stop_time topline_id updated_time"
        ).split()
    ),
    "AdSet": frozenset(
        (
            "account_id ad_set_goal adlabels adset_schedule anchor_event_attribution_window_days asset_feed_id "
            "attribution_count_type attribution_spec automatic_manual_state bid_adjustments bid_amount "
            "bid_constraints bid_info bid_strategy billing_event brand_safety_config budget_remaining campaign "
            "campaign_active_time campaign_attribution campaign_id configured_status created_time "
            "creative_diversity_label creative_diversity_score creative_sequence creative_sequence_repetition_pattern "
            "daily_budget daily_min_spend_target daily_spend_cap destination_type dsa_beneficiary dsa_payor "
            "effective_status end_time existing_customer_budget_percentage frequency_control_specs "
            "full_funnel_exploration_mode id instagram_user_id is_ba_skip_delayed_eligible is_budget_schedule_enabled "
            "is_dc_follow_optimized is_dynamic_creative is_incremental_attribution_enabled "
            "is_organic_ad_joint_optimized is_sequenced_conversion_creation issues_info learning_stage_info "
            "lifetime_budget lifetime_imps lifetime_min_spend_target lifetime_spend_cap live_video_ad_campaign_config "
            "low_creative_reach max_budget_spend_percentage meta_moment_maker_spec min_budget_spend_percentage "
            "multi_event_conversion_attribution_window_seconds multi_optimization_goal_weight name optimization_goal "
            "optimization_sub_event pacing_type placement_soft_opt_out promoted_object recommendations "
            "recurring_budget_semantics regional_regulated_categories regional_regulation_identities relative_value "
            "review_feedback rf_prediction_id source_adset source_adset_id special_ad_categories start_time status "
            "targeting targeting_optimization_types time_based_ad_rotation_id_blocks time_based_ad_rotation_intervals "
            "trending_topics_spec updated_time use_new_app_click value_rule_set_id value_rules_applied"
        ).split()
    ),
    "Ad": frozenset(
        (
            "account_id ad_active_time ad_review_feedback ad_schedule_end_time ad_schedule_start_time adlabels adset "
            "adset_id adset_spec audience_id bid_amount bid_info bid_type campaign campaign_id configured_status "
            "conversion_domain conversion_specs created_time creative creative_asset_groups_spec "
            "creative_audience_pairing_persona creative_automation_spec dataset_split_specs date_format demolink_hash "
            "display_sequence draft_adgroup_id effective_status engagement_audience execution_options "
            "failed_delivery_checks filename id include_demolink_hashes issues_info last_updated_by_app_id name "
            "placement preview_shareable_link priority recommendations source_ad source_ad_id special_ad_categories "
            "status targeting tracking_and_conversion_with_defaults tracking_specs updated_time"
        ).split()
    ),
    "AdCreative": frozenset(
        (
            "account_id actor_id ad_disclaimer_spec adlabels applink_treatment asset_feed_spec authorization_category "
            "auto_update body branded_content branded_content_sponsor_page_id bundle_folder_id call_to_action "
            "call_to_action_type categorization_criteria category_media_source collaborative_ads_lsb_image_bank_id "
            "contextual_multi_ads creative_sourcing_spec degrees_of_freedom_spec destination_set_id destination_spec "
            "dynamic_ad_voice effective_authorization_category effective_instagram_media_id effective_object_story_id "
            "enable_direct_install enable_launch_instant_app execution_options existing_post_title "
            "facebook_branded_content format_transformation_spec generative_asset_spec id image_crops image_file "
            "image_hash image_url instagram_branded_content instagram_permalink_url instagram_user_id "
            "interactive_components_spec is_dco_internal link_deep_link_url link_destination_display_url link_og_id "
            "link_url marketing_message_structured_spec media_optimization_spec media_sourcing_spec "
            "messenger_sponsored_message name object_id object_store_url object_story_id object_story_spec "
            "object_type object_url omnichannel_link_spec page_welcome_message photo_album_source_object_story_id "
            "place_page_set_id platform_customizations playable_asset_id portrait_customizations product_data "
            "product_set_id product_suggestion_settings recommender_settings regional_regulation_disclaimer_spec "
            "source_facebook_post_id source_instagram_media_id status template_url template_url_spec thumbnail_id "
            "thumbnail_url title url_tags use_page_actor_override video_id wamo_whatsapp_identity_spec"
        ).split()
    ),
    "AdAccount": frozenset(
        (
            "account_id account_status ad_account_promotable_objects age agency_client_declaration all_capabilities "
            "amount_spent attribution_spec balance brand_safety_content_filter_levels business business_city "
            "business_country_code business_name business_state business_street business_street2 business_zip "
            "can_create_brand_lift_study capabilities created_time currency custom_audience_info "
            "default_dsa_beneficiary default_dsa_payor disable_reason end_advertiser end_advertiser_name "
            "existing_customers expired_funding_source_details extended_credit_invoice_group failed_delivery_checks "
            "fb_entity funding_source funding_source_details has_migrated_permissions has_page_authorized_adaccount "
            "id io_number is_attribution_spec_system_default is_ba_skip_delayed_eligible is_direct_deals_enabled "
            "is_in_3ds_authorization_enabled_market is_notifications_enabled is_personal is_prepay_account "
            "is_tax_id_required liable_address line_numbers marketing_messages_settings media_agency "
            "min_campaign_group_spend_cap min_daily_budget name offsite_clo_signal_status offsite_pixels_tos_accepted "
            "opportunity_score opportunity_score_weight owner owner_business partner rf_spec send_bill_to_address "
            "show_checkout_experience sold_to_address spend_cap tax_id tax_id_status tax_id_type timezone_id "
            "timezone_name timezone_offset_hours_utc tos_accepted user_access_expire_time user_tasks "
            "user_tos_accepted viewable_business"
        ).split()
    ),
    "AdImage": frozenset(
        (
            "account_id bytes copy_from created_time creatives filename hash height id "
            "is_associated_creatives_in_adgroups name original_height original_width owner_business permalink_url "
            "status updated_time url url_128 width"
        ).split()
    ),
    "AdVideo": frozenset(
        (
            "ad_breaks ad_placements_validation_only admin_creator application_id asked_fun_fact_prompt_id audio_isrc "
            "audio_story_wave_animation_handle backdated_time backdated_time_granularity boost_eligibility_info "
            "chunk_session_id composer_entry_picker composer_entry_point composer_entry_time "
            "composer_session_events_log composer_session_id composer_source_surface composer_type container_type "
            "content_category content_tags copyright copyright_check_information copyright_monitoring_status "
            "created_time creative_folder_id creative_tools custom_labels description edit_description_spec "
            "embed_html embeddable end_offset event expiration fbuploader_video_file_chunk file_size file_url "
            "filename filepath fisheye_video_cropped format formatting fov from front_z_rotation fun_fact_prompt_id "
            "fun_fact_toastee_id guide guide_enabled icon id initial_heading initial_pitch "
            "instant_game_entry_point_data is_ai_generated is_boost_intended is_crosspost_video "
            "is_crossposting_eligible is_episode is_group_linking_post is_instagram_eligible is_partnership_ad "
            "is_reference_only is_voice_clip length live_audience_count live_status location_source_id "
            "music_video_copyright name og_action_type_id og_icon_id og_object_id og_phrase og_suggestion_mechanism "
            "original_fov original_projection_type partnership_ad_ad_code permalink_url picture place post_id "
            "post_views premiere_living_room_status privacy publish_event_id published referenced_sticker_id "
            "replace_audio_status replace_video_id scheduled_publish_time selected_audio_spec slideshow_spec source "
            "source_instagram_media_id spherical start_offset status swap_mode text_format_metadata thumb "
            "time_since_original_post title transcode_setting_properties universal_video_id unpublished_content_type "
            "updated_time upload_phase upload_session_id upload_setting_properties validation_ad_placements "
            "video_file_chunk video_id video_id_original video_start_time_ms video_state views waterfall_id"
        ).split()
    ),
    "Business": frozenset(
        (
            "block_offline_analytics collaborative_ads_managed_partner_business_info "
            "collaborative_ads_managed_partner_eligibility collaborative_ads_partner_premium_options created_by "
            "created_time extended_updated_time id is_hidden link marketing_messages_onboarding_status name "
            "payment_account_id primary_page profile_picture_uri timezone_id two_factor_type updated_by updated_time "
            "user_access_expire_time verification_status vertical vertical_id "
            "whatsapp_business_manager_messaging_limit"
        ).split()
    ),
}
